from django.conf import settings
from django.db import models
from django.db.models import Q

from fleet.models import Vehicle

MAX_LAT = 90.0
MAX_LNG = 180.0
ON_THE_GLOBE = Q(lat__gte=-MAX_LAT, lat__lte=MAX_LAT, lng__gte=-MAX_LNG, lng__lte=MAX_LNG)


class BrinIndexOnPostgres(models.Index):
    """A BRIN index on PostgreSQL (a few pages for a column that grows with the table's
    physical order, such as a time of recording), a plain B-tree elsewhere (SQLite)."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING brin"
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class LocationPoint(models.Model):
    """Where a driver was at ``recorded_at``, as their device reported it. ``vehicle`` is
    the vehicle of the driver's active delivery when the point arrived, if any."""

    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # led by location_driver_latest_idx
    )
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # led by location_vehicle_latest_idx
    )
    lat = models.FloatField()
    lng = models.FloatField()
    recorded_at = models.DateTimeField()
    accuracy_m = models.FloatField(null=True, blank=True)
    speed_kmh = models.FloatField(null=True, blank=True)
    heading = models.FloatField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The latest point of a driver, of a vehicle: one index probe each.
            models.Index(
                fields=["driver", "-recorded_at", "-id"], name="location_driver_latest_idx"
            ),
            models.Index(
                fields=["vehicle", "-recorded_at", "-id"],
                name="location_vehicle_latest_idx",
                condition=Q(vehicle__isnull=False),
            ),
            # The retention purge: points recorded before a time.
            BrinIndexOnPostgres(fields=["recorded_at"], name="location_recorded_brin"),
        ]
        constraints = [
            models.CheckConstraint(name="location_on_the_globe", condition=ON_THE_GLOBE),
        ]

    def __str__(self) -> str:
        return f"{self.driver_id} at {self.lat},{self.lng} ({self.recorded_at:%Y-%m-%d %H:%M:%S})"
