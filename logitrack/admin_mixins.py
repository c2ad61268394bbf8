"""Building blocks of the Django admin for fleet managers.

The admin is used by the ``admin`` and ``dispatcher`` roles. Access follows the role
(``logitrack.permissions.is_staff_user``), not Django's permission rows, and every
write goes through the service layer, as it does for the API: a form is saved by its
service while it is validated, so a rule the service refuses shows up on the form.
"""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from logitrack.permissions import is_staff_user
from services.exceptions import DomainError


class StaffAccessMixin:
    """Admins and dispatchers (``may_use``) may view, add, change and delete; nobody else
    may."""

    may_use = staticmethod(is_staff_user)

    def has_module_permission(self, request) -> bool:
        return self.may_use(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.may_use(request.user)

    def has_add_permission(self, request, *args) -> bool:
        return self.may_use(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.may_use(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.may_use(request.user)


class ReadOnlyTabularInline(admin.TabularInline):
    """History shown under its parent: staff may read it, nobody adds, edits or deletes."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None) -> bool:
        return is_staff_user(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# What the mixin is mixed into, for the type checker (at run time, ``object``).
_FormBase: Any = forms.ModelForm if TYPE_CHECKING else object


class ServiceFormMixin(_FormBase):
    """A model form that its service saves during validation.

    Once the form's own validation passes, ``save_through_service()`` runs; a
    ``DomainError`` it raises becomes an error on the field the service names (through
    ``error_fields``, e.g. ``vehicle_id`` → ``vehicle``) and the service's transaction
    leaves nothing behind. ``save()`` then returns the saved instance. ``actor`` is
    the signed-in user, set by ``ServiceModelAdmin.get_form``, whose view also rolls
    the write back should the page be shown again for any other reason.
    """

    actor: Any = None
    error_fields: ClassVar[dict[str, str]] = {}

    def save_through_service(self) -> Any:
        raise NotImplementedError

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or self._errors:
            return
        try:
            self.instance = self.save_through_service()
        except DomainError as exc:
            self.add_error(self._field_for(exc.attr), ValidationError(exc.detail, code=exc.code))
        except ValidationError as exc:
            self._update_errors(exc)

    def _field_for(self, attr: str | None) -> str | None:
        name = self.error_fields.get(attr, attr) if attr else None
        return name if name in self.fields else None

    def cleaned_values(self, names: Iterable[str]) -> dict[str, Any]:
        """The cleaned values of those of ``names`` the form has."""
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}

    def save(self, commit: bool = True) -> Any:
        return self.instance

    def save_m2m(self) -> None:
        """Many-to-many fields are not edited through these forms."""


class ServiceModelAdmin(StaffAccessMixin, admin.ModelAdmin):
    """A model admin whose forms are ``ServiceFormMixin`` forms and whose deletes go
    through ``delete_service(<instance_kwarg>=obj, actor=user)`` (a ``staticmethod``).

    Django's bulk "delete selected" action is withdrawn: it would bypass the service.
    A POST that re-displays the form (any validation error) is rolled back whole.
    """

    instance_kwarg: ClassVar[str] = ""
    delete_service: ClassVar[Callable[..., Any]]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # ``modelform_factory`` builds a new class per call, so this stays per request.
        form: Any = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic(using=router.db_for_write(self.model)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.method == "POST" and "adminform" in (
                getattr(response, "context_data", None) or {}
            ):
                transaction.set_rollback(True, using=router.db_for_write(self.model))
        return response

    def save_model(self, request, obj, form, change) -> None:
        """The form's service already saved ``obj`` while the form was validated."""

    def delete_model(self, request, obj) -> None:
        self.delete_service(**{self.instance_kwarg: obj}, actor=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                    args=[object_id],
                )
            )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def apply_to_each(
        self, request, queryset, service: Callable[..., Any], success: str, **kwargs: Any
    ) -> None:
        """Runs ``service`` on each selected object in its own transaction and reports
        the objects it succeeded on (``success`` formatted with ``names``) and each
        refusal."""
        done = []
        for obj in queryset:
            try:
                service(**{self.instance_kwarg: obj}, actor=request.user, **kwargs)
            except DomainError as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                done.append(str(obj))
        if done:
            self.message_user(request, success.format(names=", ".join(done)), messages.SUCCESS)
