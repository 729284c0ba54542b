"""UNSET: "not given", for services that change only the fields they are given (a partial
update keeps typed keyword arguments, and None stays a value one may set)."""

from typing import Any, Final


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final[Any] = _Unset()


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments a caller gave, without those left UNSET."""
    return {name: value for name, value in values.items() if value is not UNSET}
