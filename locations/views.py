from drf_spectacular.utils import extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, status
from rest_framework.response import Response

from locations.permissions import IsDriver
from locations.serializers import LocationAcceptedSerializer, LocationBatchInputSerializer
from services.locations import location_points_record


@extend_validation_errors(["too_many_items", "empty"], field_name="points", methods=["post"])
class LocationBatchView(generics.GenericAPIView):
    """A driver's device sends where it has been: up to 500 points a call, oldest first."""

    serializer_class = LocationBatchInputSerializer
    permission_classes = [IsDriver]

    @extend_schema(
        responses={202: LocationAcceptedSerializer},
        summary="Send your positions (drivers)",
        description=(
            "Stored in the order sent, each with the vehicle of your active delivery. "
            "`400 invalid_coordinates` names the point (`points.3.lat`); "
            "`400 recorded_in_future` a point recorded more than a minute ahead of the "
            "server; `400 too_many_items` over 500 points. Only drivers (`403`)."
        ),
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        accepted = location_points_record(
            driver=request.user, points=serializer.validated_data["points"]
        )
        return Response({"accepted": accepted}, status=status.HTTP_202_ACCEPTED)
