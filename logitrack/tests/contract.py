"""The resources' fields as ``../shared/api-contract.md`` names them, written down once
for the tests that hold the API to it (independently of the serializers)."""


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


USER = _names("id username email first_name last_name role phone is_active date_joined")
VEHICLE = _names(
    "id plate_number make model year vehicle_type capacity_kg status created_at updated_at"
)
DRIVER = _names("id username first_name last_name phone")
# Write-only ``vehicle_id``/``driver_id`` excluded.
DELIVERY = _names(
    "id tracking_code status origin_address destination_address recipient_name "
    "recipient_phone recipient_email weight_kg scheduled_for notes failure_reason "
    "created_at updated_at delivered_at vehicle driver proof_required "
    "window_start window_end is_late late_by_minutes"  # the dispatch day
)
PROOF = _names("id kind url recipient_name note lat lng captured_at")
# The dispatch day: where the parcel goes, for the ETA.
DELIVERY |= _names("destination_lat destination_lng")
MAINTENANCE_RECORD = _names("id reason started_at ended_at started_by ended_by")
