"""The maintenance promise as the database's last line (PostgreSQL only).

The services check these rules first, under row locks, and answer with error codes;
these constraint triggers refuse whatever gets past them (a shell, a raw query, a
future bug). Each refusal names, as its constraint, the API error code it stands for.

- An ``assigned``/``in_transit`` delivery may only be on a vehicle that is neither
  ``in_maintenance`` nor ``out_of_service``. The check reads the vehicle ``FOR SHARE``,
  so it waits for a status change in flight and holds a new one off until it commits.
- A vehicle may not go ``in_maintenance``/``out_of_service`` while it carries such a
  delivery.
- A vehicle is ``in_maintenance`` exactly when it has one open maintenance record
  (checked at commit: a service opens the record and changes the status in one
  transaction).
"""

from django.db import migrations

ACTIVE = "('assigned', 'in_transit')"
OFF_ROAD = "('in_maintenance', 'out_of_service')"

FORWARD = f"""
CREATE FUNCTION logitrack_delivery_on_road_vehicle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    vehicle_status text;
    plate text;
BEGIN
    SELECT status, plate_number INTO vehicle_status, plate
        FROM fleet_vehicle WHERE id = NEW.vehicle_id FOR SHARE;
    IF vehicle_status IN {OFF_ROAD} THEN
        RAISE EXCEPTION 'Vehicle % is %: delivery % cannot be %.',
                plate, vehicle_status, NEW.tracking_code, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'vehicle_' || vehicle_status;
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER delivery_on_road_vehicle
    AFTER INSERT OR UPDATE OF status, vehicle_id ON deliveries_delivery
    FOR EACH ROW
    WHEN (NEW.status IN {ACTIVE} AND NEW.vehicle_id IS NOT NULL)
    EXECUTE FUNCTION logitrack_delivery_on_road_vehicle();

CREATE FUNCTION logitrack_vehicle_off_road_unoccupied() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    codes text;
BEGIN
    SELECT string_agg(tracking_code, ', ' ORDER BY tracking_code) INTO codes
        FROM deliveries_delivery WHERE vehicle_id = NEW.id AND status IN {ACTIVE};
    IF codes IS NOT NULL THEN
        RAISE EXCEPTION 'Vehicle % has active deliveries: %.', NEW.plate_number, codes
            USING ERRCODE = 'check_violation', CONSTRAINT = 'vehicle_has_active_deliveries';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER vehicle_off_road_unoccupied
    AFTER UPDATE OF status ON fleet_vehicle
    FOR EACH ROW
    WHEN (NEW.status IN {OFF_ROAD})
    EXECUTE FUNCTION logitrack_vehicle_off_road_unoccupied();

CREATE FUNCTION logitrack_check_vehicle_maintenance(vehicle bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    vehicle_status text;
    plate text;
    open_records integer;
BEGIN
    SELECT status, plate_number INTO vehicle_status, plate
        FROM fleet_vehicle WHERE id = vehicle FOR SHARE;
    IF NOT FOUND THEN  -- deleted with its records
        RETURN;
    END IF;
    SELECT count(*) INTO open_records
        FROM fleet_maintenancerecord WHERE vehicle_id = vehicle AND ended_at IS NULL;
    IF (vehicle_status = 'in_maintenance') <> (open_records > 0) THEN
        RAISE EXCEPTION 'Vehicle % is % with % open maintenance records.',
                plate, vehicle_status, open_records
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'vehicle_maintenance_matches_status';
    END IF;
END $$;

CREATE FUNCTION logitrack_vehicle_maintenance_matches() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'fleet_vehicle' THEN
        PERFORM logitrack_check_vehicle_maintenance(NEW.id);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM logitrack_check_vehicle_maintenance(OLD.vehicle_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM logitrack_check_vehicle_maintenance(NEW.vehicle_id);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER vehicle_maintenance_matches_status
    AFTER INSERT OR UPDATE OF status ON fleet_vehicle
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION logitrack_vehicle_maintenance_matches();

CREATE CONSTRAINT TRIGGER maintenance_record_matches_status
    AFTER INSERT OR UPDATE OR DELETE ON fleet_maintenancerecord
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION logitrack_vehicle_maintenance_matches();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS maintenance_record_matches_status ON fleet_maintenancerecord;
DROP TRIGGER IF EXISTS vehicle_maintenance_matches_status ON fleet_vehicle;
DROP TRIGGER IF EXISTS vehicle_off_road_unoccupied ON fleet_vehicle;
DROP TRIGGER IF EXISTS delivery_on_road_vehicle ON deliveries_delivery;
DROP FUNCTION IF EXISTS logitrack_vehicle_maintenance_matches();
DROP FUNCTION IF EXISTS logitrack_check_vehicle_maintenance(bigint);
DROP FUNCTION IF EXISTS logitrack_vehicle_off_road_unoccupied();
DROP FUNCTION IF EXISTS logitrack_delivery_on_road_vehicle();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)  # no parameters: the % are plpgsql's

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("fleet", "0002_initial"),
        ("deliveries", "0004_list_indexes"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
