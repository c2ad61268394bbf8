from django.core.management.base import BaseCommand, CommandError

from deliveries.models import Delivery
from fleet.models import Vehicle, normalize_plate
from services.deliveries import delivery_assign
from services.exceptions import DomainError
from users.models import User


class Command(BaseCommand):
    help = (
        "Assign a delivery to a vehicle (and optionally a driver) through the same rules "
        "as the API: refused for a vehicle in maintenance, out of service or over capacity."
    )

    def add_arguments(self, parser):
        parser.add_argument("tracking_code")
        parser.add_argument("plate_number")
        parser.add_argument("--driver", help="username of the driver")
        parser.add_argument("--actor", help="username recorded on the event (default: none)")

    def _get(self, queryset, what: str, **lookup):
        try:
            return queryset.get(**lookup)
        except queryset.model.DoesNotExist as exc:
            raise CommandError(f"No {what} {next(iter(lookup.values()))!r}.") from exc

    def handle(self, *args, tracking_code, plate_number, driver, actor, **options):
        delivery = self._get(Delivery.objects, "delivery", tracking_code=tracking_code.upper())
        vehicle = self._get(Vehicle.objects, "vehicle", plate_number=normalize_plate(plate_number))
        users = User.objects.all()
        try:
            delivery = delivery_assign(
                delivery=delivery,
                vehicle=vehicle,
                driver=self._get(users, "user", username=driver) if driver else None,
                actor=self._get(users, "user", username=actor) if actor else None,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"{delivery.tracking_code} assigned to {vehicle.plate_number}.")
        )
