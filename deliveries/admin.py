from django import forms
from django.contrib import admin

from deliveries.models import DELIVERY_EDITABLE_FIELDS, Delivery, DeliveryEvent, ProofKind
from logitrack.admin_mixins import ReadOnlyTabularInline, ServiceFormMixin, ServiceModelAdmin
from services.deliveries import (
    EDITABLE_STATUSES,
    delivery_create,
    delivery_delete,
    delivery_update,
)

ASSIGNMENT_FIELDS = ("vehicle", "driver")


class DeliveryAdminForm(ServiceFormMixin, forms.ModelForm):
    """Creates and edits deliveries through the service, so the assignment rules (and
    any other refusal) appear as errors on the form."""

    error_fields = {"vehicle_id": "vehicle", "driver_id": "driver"}
    proof_required = forms.TypedMultipleChoiceField(
        choices=ProofKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Delivery
        fields = (*DELIVERY_EDITABLE_FIELDS, *ASSIGNMENT_FIELDS)

    def save_through_service(self) -> Delivery:
        fields = self.cleaned_values(DELIVERY_EDITABLE_FIELDS)
        assignment = self.cleaned_values(ASSIGNMENT_FIELDS)
        if self.instance.pk is None:
            return delivery_create(actor=self.actor, **assignment, **fields)
        # An unchanged vehicle and driver are not passed: that would reassign the
        # delivery and record a new event on every save.
        if not set(ASSIGNMENT_FIELDS) & set(self.changed_data):
            assignment = {}
        return delivery_update(delivery=self.instance, actor=self.actor, **assignment, **fields)


class DeliveryEventInline(ReadOnlyTabularInline):
    model = DeliveryEvent
    fields = ("at", "kind", "from_status", "to_status", "actor", "note")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Delivery)
class DeliveryAdmin(ServiceModelAdmin):
    form = DeliveryAdminForm
    list_display = (
        "tracking_code",
        "status",
        "recipient_name",
        "vehicle",
        "driver",
        "scheduled_for",
    )
    list_select_related = ("vehicle", "driver")
    list_filter = ("status", "vehicle__vehicle_type", "scheduled_for")
    search_fields = ("tracking_code", "recipient_name")
    autocomplete_fields = ASSIGNMENT_FIELDS
    readonly_fields = (
        "tracking_code",
        "status",
        "delivered_at",
        "failure_reason",
        "created_at",
        "updated_at",
    )
    inlines = (DeliveryEventInline,)
    instance_kwarg = "delivery"
    delete_service = staticmethod(delivery_delete)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            ("Recipient", {"fields": ("recipient_name", "recipient_phone", "recipient_email")}),
            (
                "Route",
                {
                    "fields": (
                        "origin_address",
                        "destination_address",
                        "scheduled_for",
                        "window_start",
                        "window_end",
                        "weight_kg",
                        "notes",
                    )
                },
            ),
            ("Assignment", {"fields": ASSIGNMENT_FIELDS}),
        ]
        if obj is None:
            return fieldsets
        return [
            (None, {"fields": ("tracking_code", "status")}),
            *fieldsets,
            (
                "Outcome",
                {"fields": ("delivered_at", "failure_reason", "created_at", "updated_at")},
            ),
        ]

    def get_inlines(self, request, obj):
        # A delivery being added has no history yet.
        return self.inlines if obj is not None else ()

    def has_change_permission(self, request, obj=None) -> bool:
        # Finished and in-transit deliveries are shown read-only: the service would
        # refuse any edit of them.
        if obj is not None and obj.status not in EDITABLE_STATUSES:
            return False
        return super().has_change_permission(request, obj)
