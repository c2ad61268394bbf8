"""Text that identifies something (a plate, a username) compared in one form."""

import unicodedata


def normalize_identifier(value: str) -> str:
    """Compatibility forms folded (``ＡＢ１`` is ``AB1``, NFKC) and invisible characters
    (zero-width spaces, joiners, direction marks: Unicode's format characters) removed."""
    folded = unicodedata.normalize("NFKC", value)
    return "".join(char for char in folded if unicodedata.category(char) != "Cf")
