import datetime as dt
import io
import re
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from deliveries.models import (
    ACTIVE_STATUSES,
    TRACKING_ALPHABET,
    TRACKING_CODE_LENGTH,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    generate_tracking_code,
)
from deliveries.selectors import delivery_count, delivery_stats
from deliveries.tests.factories import DeliveryFactory
from demo import loading
from demo.seed import demo_seed
from fleet.models import MaintenanceRecord, Vehicle, VehicleStatus
from fleet.tests.factories import VehicleFactory
from services.deliveries import ALLOWED_TRANSITIONS
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SMALL = {"vehicles": 10, "drivers": 3, "deliveries": 60}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*, vehicles, drivers, deliveries, progress=False):
    out = io.StringIO()
    args = [f"--vehicles={vehicles}", f"--drivers={drivers}", f"--deliveries={deliveries}"]
    if not progress:
        args.append("--no-progress")
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts():
    return {
        model.__name__: model.objects.count()
        for model in (User, Vehicle, MaintenanceRecord, Delivery, DeliveryEvent)
    }


def demo_plates(count):
    return [f"DEMO{n:04d}" for n in range(1, count + 1)]


def assert_assignment_rules_hold():
    active = Delivery.objects.filter(status__in=ACTIVE_STATUSES)
    assert not active.filter(vehicle__isnull=True).exists()
    assert not active.exclude(vehicle__status=VehicleStatus.AVAILABLE).exists()
    loads = Vehicle.objects.annotate(
        load=Sum("deliveries__weight_kg", filter=Q(deliveries__status__in=ACTIVE_STATUSES))
    )
    assert not loads.filter(load__gt=F("capacity_kg")).exists()
    assert (
        not Delivery.objects.filter(driver__isnull=False)
        .exclude(driver__role=Role.DRIVER, driver__is_active=True)
        .exists()
    )
    assert (
        not Delivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(vehicle__isnull=False) | Q(driver__isnull=False))
        .exists()
    )
    assert not Delivery.objects.filter(weight_kg__lte=0).exists()


def assert_outcomes_recorded():
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
    assert not delivered.filter(delivered_at__isnull=True).exists()
    assert (
        not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED)
        .filter(delivered_at__isnull=False)
        .exists()
    )
    assert not Delivery.objects.filter(status=DeliveryStatus.FAILED, failure_reason="").exists()


def assert_histories_match_statuses():
    creations = Delivery.objects.annotate(
        n=Count("events", filter=Q(events__from_status="", events__to_status="pending"))
    )
    assert not creations.exclude(n=1).exists()

    events = DeliveryEvent.objects.filter(delivery=OuterRef("pk"))
    with_ends = Delivery.objects.annotate(
        first_from=Subquery(events.order_by("at", "id").values("from_status")[:1]),
        first_at=Subquery(events.order_by("at", "id").values("at")[:1]),
        last_to=Subquery(events.order_by("-at", "-id").values("to_status")[:1]),
        last_at=Subquery(events.order_by("-at", "-id").values("at")[:1]),
        delivered_event_at=Subquery(
            events.filter(to_status=DeliveryStatus.DELIVERED).values("at")[:1]
        ),
    )
    assert not with_ends.exclude(first_from="").exists()
    assert not with_ends.exclude(last_to=F("status")).exists()
    assert not with_ends.exclude(created_at=F("first_at")).exists()
    assert not with_ends.exclude(updated_at=F("last_at")).exists()
    assert (
        not with_ends.filter(status=DeliveryStatus.DELIVERED)
        .exclude(delivered_at=F("delivered_event_at"))
        .exists()
    )

    # Each event starts where the previous one ended, by an allowed move, later in time.
    histories = defaultdict(list)
    for delivery_id, from_status, to_status, at in DeliveryEvent.objects.order_by(
        "delivery_id", "at", "id"
    ).values_list("delivery_id", "from_status", "to_status", "at"):
        histories[delivery_id].append((from_status, to_status, at))
    assert len(histories) == Delivery.objects.count()
    for history in histories.values():
        previous_status, previous_at = "", None
        for from_status, to_status, at in history:
            assert from_status == previous_status
            if from_status:
                assert to_status in ALLOWED_TRANSITIONS[from_status]
                assert at > previous_at
            previous_status, previous_at = to_status, at


def test_creates_the_demo_accounts_with_working_passwords():
    seed(**SMALL)

    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN
    assert admin.is_superuser
    assert admin.check_password("logitrack-admin")
    dispatcher = User.objects.get(username="dispatcher")
    assert dispatcher.role == Role.DISPATCHER
    assert dispatcher.is_staff
    assert not dispatcher.is_superuser
    assert dispatcher.check_password("logitrack-dispatcher")
    drivers = User.objects.filter(username__startswith="driver").order_by("username")
    assert [d.username for d in drivers] == ["driver1", "driver2", "driver3"]
    for driver in drivers:
        assert driver.role == Role.DRIVER
        assert driver.is_active
        assert not driver.is_staff
        assert driver.check_password("logitrack-driver")


def test_every_delivery_status_is_present():
    seed(**SMALL)

    present = set(Delivery.objects.values_list("status", flat=True).distinct())
    assert present == set(DeliveryStatus.values)
    assert Delivery.objects.count() == SMALL["deliveries"]


def test_fleet_mixes_vehicle_types_with_some_off_the_road():
    seed(**SMALL)

    vehicles = Vehicle.objects.all()
    assert sorted(v.plate_number for v in vehicles) == demo_plates(SMALL["vehicles"])
    assert vehicles.values("vehicle_type").distinct().count() > 1
    assert vehicles.values("capacity_kg").distinct().count() > 1
    assert vehicles.filter(status=VehicleStatus.OUT_OF_SERVICE).exists()
    in_maintenance = vehicles.filter(status=VehicleStatus.IN_MAINTENANCE)
    assert in_maintenance.exists()
    open_records = Count("maintenance_records", filter=Q(maintenance_records__ended_at=None))
    assert not in_maintenance.annotate(n=open_records).exclude(n=1).exists()
    others = vehicles.exclude(status=VehicleStatus.IN_MAINTENANCE)
    assert not others.annotate(n=open_records).exclude(n=0).exists()


def test_data_keeps_every_assignment_rule():
    seed(**SMALL)

    assert_assignment_rules_hold()
    assert_outcomes_recorded()
    assert not Delivery.objects.filter(status__in=ACTIVE_STATUSES, driver__isnull=True).exists()


def test_every_delivery_has_a_history_ending_in_its_status():
    seed(**SMALL)

    assert_histories_match_statuses()


def test_times_are_spread_over_two_years_up_to_weeks_ahead():
    seed(**SMALL)
    now = timezone.now()

    deliveries = Delivery.objects.all()
    assert not deliveries.filter(created_at__gte=F("scheduled_for")).exists()
    assert not deliveries.filter(created_at__gt=now).exists()
    assert not DeliveryEvent.objects.filter(at__gt=now).exists()
    assert not deliveries.filter(scheduled_for__lt=now - dt.timedelta(days=731)).exists()
    assert not deliveries.filter(scheduled_for__gt=now + dt.timedelta(days=22)).exists()
    assert deliveries.filter(scheduled_for__lt=now - dt.timedelta(days=365)).exists()
    assert deliveries.filter(scheduled_for__gt=now).exists()
    assert deliveries.values("recipient_name").distinct().count() > SMALL["deliveries"] // 2
    assert deliveries.values("weight_kg").distinct().count() > SMALL["deliveries"] // 2


def test_tracking_codes_look_like_generated_ones():
    seed(**SMALL)

    sample = generate_tracking_code()
    prefix = sample[: len(sample) - TRACKING_CODE_LENGTH]
    pattern = re.compile(f"{re.escape(prefix)}[{TRACKING_ALPHABET}]{{{TRACKING_CODE_LENGTH}}}")
    codes = list(Delivery.objects.values_list("tracking_code", flat=True))
    assert all(pattern.fullmatch(code) for code in codes)
    assert len(set(codes)) == len(codes)


def test_running_twice_creates_nothing_new():
    seed(**SMALL)
    before = row_counts()

    output = seed(**SMALL)

    assert row_counts() == before
    assert "Deliveries created: 0" in output


def test_smaller_counts_create_nothing():
    seed(**SMALL)
    before = row_counts()

    seed(vehicles=2, drivers=1, deliveries=5)

    assert row_counts() == before


def test_larger_counts_top_the_data_set_up():
    seed(**SMALL)

    seed(vehicles=14, drivers=5, deliveries=90)

    assert sorted(Vehicle.objects.values_list("plate_number", flat=True)) == demo_plates(14)
    assert set(User.objects.filter(role=Role.DRIVER).values_list("username", flat=True)) == {
        f"driver{n}" for n in range(1, 6)
    }
    assert User.objects.count() == 2 + 5
    assert Delivery.objects.count() == 90
    assert_assignment_rules_hold()
    assert_outcomes_recorded()
    assert_histories_match_statuses()


def test_rules_hold_around_data_already_there():
    tight_van = VehicleFactory(plate_number="DEMO0002", capacity_kg="50.00")
    earlier = DeliveryFactory(assigned=True, vehicle=tight_van, weight_kg="45.00")
    VehicleFactory(plate_number="DEMO0003", in_maintenance=True)
    UserFactory(username="driver1", inactive=True)

    seed(**SMALL)

    assert_assignment_rules_hold()
    assert not Delivery.objects.filter(driver__username="driver1").exists()
    assert Delivery.objects.exclude(pk=earlier.pk).count() == SMALL["deliveries"]
    assert Delivery.objects.filter(status__in=ACTIVE_STATUSES).exclude(pk=earlier.pk).exists()


def test_works_without_vehicles_or_drivers():
    seed(vehicles=0, drivers=0, deliveries=20)

    assert Delivery.objects.count() == 20
    assert not Delivery.objects.filter(status__in=ACTIVE_STATUSES).exists()
    assert_assignment_rules_hold()
    assert_outcomes_recorded()
    assert_histories_match_statuses()


def test_runs_are_reproducible():
    def content():
        return (
            list(
                Vehicle.objects.order_by("plate_number").values_list(
                    "plate_number", "make", "model", "year", "vehicle_type", "capacity_kg", "status"
                )
            ),
            list(
                User.objects.order_by("username").values_list(
                    "username", "first_name", "last_name", "phone", "role"
                )
            ),
            list(
                Delivery.objects.order_by("pk").values_list(
                    "status",
                    "recipient_name",
                    "destination_address",
                    "weight_kg",
                    "vehicle__plate_number",
                    "driver__username",
                )
            ),
        )

    seed(**SMALL)
    first = content()
    Delivery.objects.all().delete()
    Vehicle.objects.all().delete()
    User.objects.all().delete()

    seed(**SMALL)

    assert content() == first


def test_summary_shows_what_the_database_holds_after_a_larger_seed():
    seed(vehicles=14, drivers=5, deliveries=90)

    output = seed(**SMALL)

    assert "Deliveries created: 0 with 0 events (demo deliveries: 90)" in output
    fleet = re.search(
        r"demo fleet: available (\d+), in_maintenance (\d+), out_of_service (\d+)", output
    )
    assert sum(int(n) for n in fleet.groups()) == 14
    assert "driver1 … driver5 / logitrack-driver" in output
    shown = re.search(r"All deliveries: (.*)", output).group(1)
    by_status = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))
    assert shown == ", ".join(f"{status} {n}" for status, n in sorted(by_status.items()))
    assert sum(by_status.values()) == 90


def test_cached_counts_and_stats_show_the_new_rows(django_capture_on_commit_callbacks):
    everything = Delivery.objects.all()
    assert delivery_count(queryset=everything, key="all", everything=True) == 0
    assert sum(delivery_stats()["deliveries_by_status"].values()) == 0

    with django_capture_on_commit_callbacks(execute=True):
        seed(**SMALL)

    assert delivery_count(queryset=everything, key="all", everything=True) == SMALL["deliveries"]
    stats = delivery_stats()
    assert sum(stats["deliveries_by_status"].values()) == SMALL["deliveries"]
    assert sum(stats["vehicles_by_status"].values()) == SMALL["vehicles"]


def test_prints_a_summary_and_the_demo_credentials():
    output = seed(**SMALL)

    assert f"Deliveries created: {SMALL['deliveries']}" in output
    for credentials in (
        "admin / logitrack-admin",
        "dispatcher / logitrack-dispatcher",
        "/ logitrack-driver",
    ):
        assert credentials in output


def test_shows_no_progress_bar_off_a_terminal(capsys):
    seed(**SMALL, progress=True)

    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("option", ["--vehicles=-1", "--drivers=x", "--deliveries=-5"])
def test_refuses_counts_that_are_not_whole_numbers(option):
    with pytest.raises(CommandError):
        call_command("seed_demo", option, "--no-progress", stdout=io.StringIO())

    assert not Delivery.objects.exists()


def test_demo_history_sends_no_email(db):
    from deliveries.models import DeliveryEvent
    from services.notifications import notifications_sweep

    call_command("seed_demo", vehicles=4, deliveries=20, drivers=2, no_progress=True)

    assert not DeliveryEvent.objects.filter(notified_at__isnull=True).exists()
    assert notifications_sweep() == 0


# Large loads on PostgreSQL ------------------------------------------------------

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="large loads go through COPY with PostgreSQL's indexes and foreign keys set "
    "aside; other databases always load through bulk_create",
)

LARGE = {"vehicles": 12, "drivers": 4, "deliveries": 2_500}
# Low enough for LARGE to count as a large load.
LARGE_LOAD_THRESHOLD = 2_000
DELIVERY_TABLES = [Delivery._meta.db_table, DeliveryEvent._meta.db_table]


class DiskFull(Exception):
    pass


def delivery_table_schema():
    """Every index and constraint of the delivery and event tables, as defined."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [DELIVERY_TABLES],
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid),"
            " convalidated, condeferrable, condeferred FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[])",
            [DELIVERY_TABLES],
        )
        constraints = set(cursor.fetchall())
    return indexes, constraints


def analyze_counts():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, analyze_count FROM pg_stat_user_tables"
            " WHERE schemaname = current_schema() AND relname = ANY(%s)",
            [DELIVERY_TABLES],
        )
        return dict(cursor.fetchall())


def assert_references_hold():
    def missing(model, field, target):
        return model.objects.filter(**{f"{field}__isnull": False}).exclude(
            Exists(target.objects.filter(pk=OuterRef(field)))
        )

    assert not missing(Delivery, "vehicle_id", Vehicle).exists()
    assert not missing(Delivery, "driver_id", User).exists()
    assert not missing(DeliveryEvent, "delivery_id", Delivery).exists()
    assert not missing(DeliveryEvent, "actor_id", User).exists()


@on_postgresql
def test_large_load_keeps_every_rule_index_and_constraint():
    before = delivery_table_schema()

    result = demo_seed(**LARGE, large_load_threshold=LARGE_LOAD_THRESHOLD)

    assert delivery_table_schema() == before
    assert result.deliveries_created == Delivery.objects.count() == LARGE["deliveries"]
    assert result.events_created == DeliveryEvent.objects.count()
    assert set(Delivery.objects.values_list("status", flat=True)) == set(DeliveryStatus.values)
    assert_assignment_rules_hold()
    assert_outcomes_recorded()
    assert_histories_match_statuses()
    assert_references_hold()
    assert not DeliveryEvent.objects.filter(notified_at__isnull=True).exists()


@on_postgresql
def test_large_load_leaves_fresh_planner_statistics():
    before = analyze_counts()

    demo_seed(**LARGE, large_load_threshold=LARGE_LOAD_THRESHOLD)

    after = analyze_counts()
    assert after == {table: before.get(table, 0) + 1 for table in DELIVERY_TABLES}


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_large_load_tops_up_around_data_already_there():
    seed(**SMALL)
    wanted = SMALL["deliveries"] + LARGE["deliveries"]

    demo_seed(vehicles=14, drivers=5, deliveries=wanted, large_load_threshold=LARGE_LOAD_THRESHOLD)

    assert Delivery.objects.count() == wanted
    assert_assignment_rules_hold()
    assert_outcomes_recorded()
    assert_histories_match_statuses()
    assert_references_hold()
    # Rows written afterwards get ids past the loaded ones.
    newest_delivery = Delivery.objects.order_by("-pk").first()
    newest_event = DeliveryEvent.objects.order_by("-pk").first()
    delivery = DeliveryFactory()
    event = DeliveryEvent.objects.create(
        delivery=delivery, to_status=DeliveryStatus.PENDING, at=timezone.now()
    )
    assert delivery.pk > newest_delivery.pk
    assert event.pk > newest_event.pk


@on_postgresql
def test_top_up_small_next_to_the_table_keeps_the_indexes(monkeypatch):
    demo_seed(**LARGE, large_load_threshold=LARGE_LOAD_THRESHOLD)
    before = delivery_table_schema()
    during = []
    write = loading.BulkWriter.write

    def write_and_look(batch):
        during.append(delivery_table_schema())
        return write(batch)

    monkeypatch.setattr(loading.BulkWriter, "write", staticmethod(write_and_look))
    # Over the threshold, but less than a tenth of the deliveries already there.
    added = LARGE["deliveries"] // 10 - 1

    demo_seed(**{**LARGE, "deliveries": LARGE["deliveries"] + added}, large_load_threshold=added)

    assert during == [before]
    assert Delivery.objects.count() == LARGE["deliveries"] + added
    assert_assignment_rules_hold()
    assert_histories_match_statuses()


@on_postgresql
def test_failed_large_load_rolls_back_and_keeps_the_indexes(monkeypatch):
    monkeypatch.setattr(loading, "DELIVERY_BATCH_SIZE", 1_000)
    before = delivery_table_schema()
    during = []
    write = loading.CopyWriter.write

    def write_then_fail(self, batch):
        if during:
            raise DiskFull
        during.append(delivery_table_schema())
        return write(self, batch)

    monkeypatch.setattr(loading.CopyWriter, "write", write_then_fail)

    with pytest.raises(DiskFull):
        demo_seed(**LARGE, large_load_threshold=LARGE_LOAD_THRESHOLD)

    assert during[0] != before  # the load did run with the indexes set aside
    assert delivery_table_schema() == before
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_recipient_emails_are_addresses_the_api_accepts():
    from django.core.validators import validate_email

    seed(**SMALL)

    emails = set(
        Delivery.objects.exclude(recipient_email="").values_list("recipient_email", flat=True)
    )
    assert emails
    for email in emails:
        validate_email(email)  # raises for an address the API would refuse
