from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group

from logitrack.admin_mixins import ServiceFormMixin, ServiceModelAdmin
from services.users import USER_EDITABLE_FIELDS, user_create, user_delete, user_update
from users.models import Role, User
from users.selectors import user_list

PROFILE_FIELDS = ("first_name", "last_name", "email", "phone")


def may_manage(actor: User, user: User | None) -> bool:
    """Only admins may touch admin accounts (``services.users`` enforces it too)."""
    return user is None or user.role != Role.ADMIN or actor.role == Role.ADMIN


class UserAdminCreationForm(ServiceFormMixin, UserCreationForm):
    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # untyped in the stubs
        model = User
        fields = ("username", "role", *PROFILE_FIELDS)

    def save_through_service(self) -> User:
        return user_create(
            actor=self.actor,
            password=self.cleaned_data["password1"],
            **self.cleaned_values(USER_EDITABLE_FIELDS),
        )


class UserAdminChangeForm(ServiceFormMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]  # untyped in the stubs
        model = User

    def save_through_service(self) -> User:
        # The password is changed on its own page; the hash shown here is never saved.
        return user_update(
            user=self.instance, actor=self.actor, **self.cleaned_values(USER_EDITABLE_FIELDS)
        )


@admin.register(User)
class UserAdmin(ServiceModelAdmin, DjangoUserAdmin):
    """Accounts. ``role`` decides ``is_staff`` and ``is_superuser``, so those, groups and
    permissions are not edited here; dispatchers cannot create, change, delete or
    promote to admin accounts."""

    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    # Django's add template says more options come after the password; here they don't.
    add_form_template = None
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": PROFILE_FIELDS}),
        ("Access", {"fields": ("role", "is_active")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        ("Profile", {"fields": PROFILE_FIELDS}),
        ("Access", {"fields": ("role",)}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "first_name", "last_name", "email", "role", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    filter_horizontal = ()
    instance_kwarg = "user"
    delete_service = staticmethod(user_delete)

    def get_queryset(self, request):
        # People's accounts: an API key's account is managed with its key (no password can
        # be set on it here, so no one signs in as a key).
        return user_list()

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and may_manage(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and may_manage(request.user, obj)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and request.user.role != Role.ADMIN:
            kwargs["choices"] = [
                (value, label) for value, label in Role.choices if value != Role.ADMIN
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if _is_driver_autocomplete(request):
            # Offer only who may drive; the service still refuses anyone else.
            queryset = queryset.filter(role=Role.DRIVER, is_active=True)
        return queryset, may_have_duplicates


def _is_driver_autocomplete(request) -> bool:
    match = request.resolver_match
    return (
        match is not None
        and match.url_name == "autocomplete"
        and request.GET.get("app_label") == "deliveries"
        and request.GET.get("model_name") == "delivery"
        and request.GET.get("field_name") == "driver"
    )


# Roles, not groups, decide what an account may do.
admin.site.unregister(Group)
