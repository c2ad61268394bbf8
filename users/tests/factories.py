import factory

from users.models import Role, User

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A driver by default; ``UserFactory(dispatcher=True)`` / ``(admin=True)``."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone = factory.Sequence(lambda n: f"+3161000{n:04d}")
    role = Role.DRIVER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    class Params:
        dispatcher = factory.Trait(role=Role.DISPATCHER)
        admin = factory.Trait(role=Role.ADMIN)
        inactive = factory.Trait(is_active=False)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
