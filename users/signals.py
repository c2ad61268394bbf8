"""Whatever changes an account (the API, the admin, a management command, a shell)
invalidates the cached copy authentication reads (``users.selectors.user_get_for_request``)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from logitrack import cache
from users.models import User


@receiver(post_save, sender=User, dispatch_uid="users.account-cache-save")
@receiver(post_delete, sender=User, dispatch_uid="users.account-cache-delete")
def forget_cached_account(sender, instance: User, **kwargs) -> None:
    cache.bump(cache.user_namespace(instance.pk), immediately=True)
