from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from fleet.filters import VehicleFilter
from fleet.selectors import maintenance_record_list, vehicle_list, vehicle_read_cached
from fleet.serializers import (
    MaintenanceRecordSerializer,
    MaintenanceStartInputSerializer,
    VehicleInputSerializer,
    VehicleSerializer,
)
from locations.serializers import LocationSerializer
from logitrack.openapi import CONFLICT_RESPONSE, NO_LOCATION_RESPONSE
from logitrack.permissions import IsStaff
from logitrack.viewsets import ServiceModelViewSet
from services.fleet import (
    vehicle_create,
    vehicle_delete,
    vehicle_end_maintenance,
    vehicle_start_maintenance,
    vehicle_update,
)
from services.locations import location_last_known

# Maintenance records name the staff who opened and closed them: staff read them.
READ_ACTIONS = frozenset({"list", "retrieve"})


@extend_schema_view(
    create=extend_schema(request=VehicleInputSerializer, responses={201: VehicleSerializer}),
    update=extend_schema(request=VehicleInputSerializer, responses={200: VehicleSerializer}),
    partial_update=extend_schema(
        request=VehicleInputSerializer, responses={200: VehicleSerializer}
    ),
    destroy=extend_schema(
        responses={204: None, 409: CONFLICT_RESPONSE},
        description="`409 vehicle_has_deliveries` once a delivery was ever assigned to it.",
    ),
)
class VehicleViewSet(ServiceModelViewSet):
    """The fleet. Anyone signed in reads; dispatchers and admins write."""

    serializer_class = VehicleSerializer
    input_serializer_class = VehicleInputSerializer
    filterset_class = VehicleFilter
    search_fields = ["plate_number", "make", "model"]
    ordering_fields = ["plate_number", "year", "capacity_kg", "status", "created_at"]
    instance_kwarg = "vehicle"
    create_service = staticmethod(vehicle_create)
    update_service = staticmethod(vehicle_update)
    delete_service = staticmethod(vehicle_delete)

    def get_queryset(self):
        return vehicle_list()

    def _cached(self, request, build) -> Response:
        url = f"{request.get_host()}{request.get_full_path()}"
        return Response(vehicle_read_cached(url=url, build=lambda: build().data))

    def list(self, request, *args, **kwargs):
        """The fleet, by plate unless `ordering` says otherwise."""
        return self._cached(request, lambda: super(VehicleViewSet, self).list(request))

    def retrieve(self, request, *args, **kwargs):
        """One vehicle."""
        return self._cached(
            request, lambda: super(VehicleViewSet, self).retrieve(request, *args, **kwargs)
        )

    def get_permissions(self):
        if self.action in READ_ACTIONS:
            return [IsAuthenticated()]
        return [IsStaff()]

    @extend_schema(
        request=MaintenanceStartInputSerializer,
        responses={200: VehicleSerializer, 409: CONFLICT_RESPONSE},
        summary="Send the vehicle into maintenance",
        description=(
            "`409 vehicle_has_active_deliveries` (with `tracking_codes`) while a delivery "
            "on it is assigned or in transit; `409 vehicle_already_in_maintenance`."
        ),
    )
    @action(detail=True, methods=["post"], url_path="maintenance/start")
    def maintenance_start(self, request, pk=None):
        vehicle = self.get_object()
        serializer = MaintenanceStartInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vehicle = vehicle_start_maintenance(
            vehicle=vehicle, reason=serializer.validated_data["reason"], actor=request.user
        )
        return Response(self.render(vehicle))

    @extend_schema(
        request=None,
        responses={200: VehicleSerializer, 409: CONFLICT_RESPONSE},
        summary="End the vehicle's maintenance",
        description="`409 vehicle_not_in_maintenance` if it is not in maintenance.",
    )
    @action(detail=True, methods=["post"], url_path="maintenance/end")
    def maintenance_end(self, request, pk=None):
        vehicle = vehicle_end_maintenance(vehicle=self.get_object(), actor=request.user)
        return Response(self.render(vehicle))

    @extend_schema(
        responses={200: MaintenanceRecordSerializer(many=True)},
        summary="The vehicle's maintenance records, newest first",
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def maintenance(self, request, pk=None):
        records = maintenance_record_list(vehicle=self.get_object())
        return Response(MaintenanceRecordSerializer(records, many=True).data)

    @extend_schema(
        responses={200: LocationSerializer, 404: NO_LOCATION_RESPONSE},
        summary="The vehicle's last known position (staff)",
        description="From its drivers' devices while it carried an active delivery; "
        "`404 no_location` when none is known.",
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def location(self, request, pk=None):
        last_known = location_last_known(vehicle=self.get_object())
        return Response(LocationSerializer(last_known).data)
