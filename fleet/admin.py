from django import forms
from django.contrib import admin

from fleet.models import VEHICLE_EDITABLE_FIELDS, MaintenanceRecord, Vehicle
from logitrack.admin_mixins import ReadOnlyTabularInline, ServiceFormMixin, ServiceModelAdmin
from services.fleet import (
    vehicle_create,
    vehicle_delete,
    vehicle_end_maintenance,
    vehicle_return_to_service,
    vehicle_start_maintenance,
    vehicle_take_out_of_service,
    vehicle_update,
)

# The reason recorded when maintenance is started from the admin's list of vehicles.
MAINTENANCE_REASON = "Started from the admin."

MAINTENANCE_STARTED = "Maintenance started: {names}."
MAINTENANCE_ENDED = "Maintenance ended: {names}."
TAKEN_OUT_OF_SERVICE = "Taken out of service: {names}."
RETURNED_TO_SERVICE = "Back in service: {names}."


class VehicleAdminForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = Vehicle
        fields = VEHICLE_EDITABLE_FIELDS

    def save_through_service(self) -> Vehicle:
        fields = self.cleaned_values(VEHICLE_EDITABLE_FIELDS)
        if self.instance.pk is None:
            return vehicle_create(actor=self.actor, **fields)
        return vehicle_update(vehicle=self.instance, actor=self.actor, **fields)


class MaintenanceRecordInline(ReadOnlyTabularInline):
    model = MaintenanceRecord
    fields = ("reason", "started_at", "started_by", "ended_at", "ended_by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("started_by", "ended_by")


@admin.register(Vehicle)
class VehicleAdmin(ServiceModelAdmin):
    form = VehicleAdminForm
    list_display = ("plate_number", "make", "model", "vehicle_type", "capacity_kg", "status")
    list_filter = ("status", "vehicle_type")
    search_fields = ("plate_number", "make", "model")
    readonly_fields = ("status", "created_at", "updated_at")
    inlines = (MaintenanceRecordInline,)
    actions = (
        "start_maintenance",
        "end_maintenance",
        "take_out_of_service",
        "return_to_service",
    )
    instance_kwarg = "vehicle"
    delete_service = staticmethod(vehicle_delete)

    def get_fields(self, request, obj=None):
        if obj is None:
            return VEHICLE_EDITABLE_FIELDS
        return (*VEHICLE_EDITABLE_FIELDS, *self.readonly_fields)

    def get_inlines(self, request, obj):
        # A vehicle being added has no maintenance history yet.
        return self.inlines if obj is not None else ()

    @admin.action(description="Start maintenance", permissions=["change"])
    def start_maintenance(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            vehicle_start_maintenance,
            MAINTENANCE_STARTED,
            reason=MAINTENANCE_REASON,
        )

    @admin.action(description="End maintenance", permissions=["change"])
    def end_maintenance(self, request, queryset):
        self.apply_to_each(request, queryset, vehicle_end_maintenance, MAINTENANCE_ENDED)

    @admin.action(description="Take out of service", permissions=["change"])
    def take_out_of_service(self, request, queryset):
        self.apply_to_each(request, queryset, vehicle_take_out_of_service, TAKEN_OUT_OF_SERVICE)

    @admin.action(description="Return to service", permissions=["change"])
    def return_to_service(self, request, queryset):
        self.apply_to_each(request, queryset, vehicle_return_to_service, RETURNED_TO_SERVICE)
