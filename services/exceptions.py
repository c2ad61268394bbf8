"""Domain errors raised by the service layer.

Each carries a machine-readable ``code`` and the HTTP status it maps to; the API's
exception handler (``logitrack.exception_handler``) turns them into the error
shape of the API contract. Services never raise DRF exceptions.
"""

from typing import Any

from deliveries.models import TIME_WINDOW_INVALID, TIME_WINDOW_INVALID_CODE


class DomainError(Exception):
    """Base of every rule violation; subclasses set ``code``, ``status_code`` and ``message``."""

    code = "domain_error"
    status_code = 400
    message = "The request breaks a rule."

    def __init__(
        self, *, attr: str | None = None, extra: dict[str, Any] | None = None, **params: Any
    ) -> None:
        """``params`` fill the ``message`` template; ``extra`` is added to the error body."""
        self.detail = self.message.format(**params)
        self.attr = attr
        self.extra = extra or {}
        super().__init__(self.detail)


class RuleViolation(DomainError):
    """Input that breaks a business rule: ``400 validation_error``."""

    status_code = 400


class Conflict(DomainError):
    """A request that the current state of a resource does not allow: ``409``."""

    status_code = 409


class Forbidden(DomainError):
    """An action the acting user's role may not take: ``403``."""

    status_code = 403


# Assignment rules -----------------------------------------------------------------


class VehicleInMaintenance(RuleViolation):
    code = "vehicle_in_maintenance"
    message = "Vehicle {plate} is in maintenance."


class VehicleOutOfService(RuleViolation):
    code = "vehicle_out_of_service"
    message = "Vehicle {plate} is out of service."


class VehicleOverCapacity(RuleViolation):
    code = "vehicle_over_capacity"
    message = (
        "Vehicle {plate} can carry {capacity} kg; it already carries {load} kg "
        "and this delivery weighs {weight} kg."
    )


class DriverNotADriver(RuleViolation):
    code = "driver_not_a_driver"
    message = "User {username} is not an active driver."


class InvalidTimeWindow(RuleViolation):
    code = TIME_WINDOW_INVALID_CODE
    message = TIME_WINDOW_INVALID


# State conflicts ------------------------------------------------------------------


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = "A delivery cannot go from {from_status} to {to_status}."


class VehicleHasActiveDeliveries(Conflict):
    code = "vehicle_has_active_deliveries"
    message = "Vehicle {plate} has active deliveries: {codes}."


class VehicleNotInMaintenance(Conflict):
    code = "vehicle_not_in_maintenance"
    message = "Vehicle {plate} is not in maintenance."


class VehicleAlreadyInMaintenance(Conflict):
    code = "vehicle_already_in_maintenance"
    message = "Vehicle {plate} is already in maintenance."


class VehicleHasDeliveries(Conflict):
    code = "vehicle_has_deliveries"
    message = "Vehicle {plate} has deliveries on record and cannot be deleted."


class DeliveryNotEditable(Conflict):
    code = "delivery_not_editable"
    message = "A delivery that is {status} can no longer be changed."


class DeliveryNotDeletable(Conflict):
    code = "delivery_not_deletable"
    message = "Only pending or cancelled deliveries can be deleted; this one is {status}."


class UserHasDeliveries(Conflict):
    code = "user_has_deliveries"
    message = "User {username} has deliveries on record; deactivate the user instead."


# Role limits ----------------------------------------------------------------------


class AdminAccountProtected(Forbidden):
    code = "admin_account_protected"
    message = "Only an admin may create, change or delete admin accounts."


class VehicleRequired(RuleViolation):
    code = "vehicle_required"
    message = "A driver can only be given together with a vehicle."


class DriverHasActiveDeliveries(Conflict):
    code = "driver_has_active_deliveries"
    message = "User {username} still has active deliveries: {codes}."


class VehicleCapacityBelowLoad(Conflict):
    code = "vehicle_capacity_below_load"
    message = (
        "Vehicle {plate} already carries {load} kg of assigned and in-transit deliveries; "
        "its capacity cannot be set to {capacity} kg."
    )


class WrongPassword(RuleViolation):
    code = "wrong_password"
    message = "The current password is not correct."


class TooManyReports(DomainError):
    code = "too_many_reports"
    status_code = 429
    message = (
        "You have {count} reports queued or being built; ask for another once one of them is done."
    )


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was used for another request (another path or body)."


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency_key_in_progress"
    message = "A request with this Idempotency-Key is still running; repeat it once done."


class ReportNotReady(Conflict):
    code = "report_not_ready"
    message = "The report is {status}; it can be downloaded once it is done."


# Proof of delivery ----------------------------------------------------------------


class InvalidImage(RuleViolation):
    code = "invalid_image"
    message = "{field} is not an image LogiTrack takes: {reason}"


class FileTooLarge(RuleViolation):
    code = "file_too_large"
    message = "{field} is larger than {limit} bytes."


class ProofRequired(RuleViolation):
    """``extra``: ``{"missing": [kinds]}``, added to the error entry; it names the
    delivery's ``proof_required``."""

    code = "proof_required"
    message = "The delivery needs proof before it is delivered: {kinds} missing."


class ProofNotAllowed(InvalidTransition):
    """The contract's ``invalid_transition`` for a proof added outside ``in_transit``."""

    message = "Proof can be added only while a delivery is in transit; this one is {status}."


# Webhooks -------------------------------------------------------------------------


class UnknownEventType(RuleViolation):
    code = "unknown_event_type"
    message = "{event} is not an event type LogiTrack sends."


class WebhookUrlNotAllowed(RuleViolation):
    code = "webhook_url_not_allowed"
    message = "This URL cannot receive webhooks: {reason}"


class WebhookEndpointInactive(Conflict):
    code = "webhook_endpoint_inactive"
    message = "This endpoint is disabled; set is_active to true before pinging it."


# Positions and the ETA -----------------------------------------------------------


class DestinationIncomplete(RuleViolation):
    code = "destination_incomplete"
    message = "Give destination_lat and destination_lng together, or neither."


class EtaUnavailable(Conflict):
    code = "eta_unavailable"
    message = "No ETA: {reason}"


class NoLocation(DomainError):
    code = "no_location"
    status_code = 404
    message = "No position is known for this {what}."


# Rules the database enforces too (constraint triggers named after the code, created by
# ``fleet.migrations``): a refusal by the database is reported as the same error.
DATABASE_RULES: dict[str, type[DomainError]] = {
    error.code: error for error in (VehicleInMaintenance, VehicleOutOfService)
}


class ApiKeyExpiryInPast(RuleViolation):
    code = "api_key_expiry_in_past"
    message = "An API key's expiry must be in the future."
