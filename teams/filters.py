"""The strict query-parameter parsing every list shares: filters and ordering.

A client that mistypes a filter value or an ordering field must hear about it (a 400 naming the
parameter), not receive an unfiltered or differently ordered list it would take for an answer.
Every FilterSet of the project subclasses ``FilterSet`` below; ``FilterBackend`` and
``OrderingFilter`` are the API's default filter backends (``REST_FRAMEWORK`` in settings).
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.widgets import BooleanWidget
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError

TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})


class StrictBooleanWidget(BooleanWidget):
    """Pass the raw value through, so the field can refuse what is neither true nor false."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return value.strip().lower() if isinstance(value, str) else value

    def render(self, name, value, attrs=None, renderer=None):
        # The raw value of a bound form ("true", "1") must show as the chosen option, not "Unknown".
        if isinstance(value, str) and value in TRUE_VALUES | FALSE_VALUES:
            value = value in TRUE_VALUES
        return super().render(name, value, attrs, renderer=renderer)


class StrictBooleanField(forms.NullBooleanField):
    widget = StrictBooleanWidget
    default_error_messages = {"invalid": _("Use true or false.")}

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if value in TRUE_VALUES:
            return True
        if value in FALSE_VALUES:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = StrictBooleanWidget
        super().__init__(*args, **kwargs)


class FilterSet(filters.FilterSet):
    """The base of every FilterSet: boolean filters accept true/false (1/0) and nothing else."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.NullBooleanField: {"filter_class": StrictBooleanFilter},
    }

    @classmethod
    def get_filters(cls):
        found = super().get_filters()
        for filter_ in found.values():
            # Declared ones too (``filters.BooleanFilter(...)`` in a subclass), so none is lenient.
            if isinstance(filter_, filters.BooleanFilter) and not isinstance(filter_, StrictBooleanFilter):
                filter_.field_class = StrictBooleanField
                filter_.extra["widget"] = StrictBooleanWidget
        return found


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, building FilterSets from ``filterset_fields`` on the strict base."""

    filterset_base = FilterSet


class OrderingFilter(drf_filters.OrderingFilter):
    """DRF's ordering, with an unknown ``?ordering=`` field a 400 naming the parameter."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params and not getattr(view, "detail", False):
            fields = [param.strip() for param in params.split(",")]
            valid = {name for name, _label in self.get_valid_fields(queryset, view, {"request": request})}
            unknown = [field for field in fields if field.lstrip("-") not in valid]
            if unknown:
                allowed = ", ".join(sorted(valid)) or _("none")
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("Unknown field %(fields)s; order by one of: %(allowed)s (prefix - for descending).")
                            % {"fields": ", ".join(repr(f) for f in unknown), "allowed": allowed}
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, list | tuple) and fields:
            for parameter in parameters:
                if parameter["name"] == self.ordering_param:
                    parameter["description"] = (
                        f"Order by {', '.join(fields)} (prefix - for descending; several, comma-separated). "
                        "Another field is a 400."
                    )
        return parameters


def refuse_ordering(request, view) -> None:
    """For an answer in a fixed order (an analysis): a ``?ordering=`` is a 400 naming the parameter.

    Every list of the API treats an ordering it cannot honour the same way, these included.
    """
    if OrderingFilter.ordering_param in request.query_params:
        OrderingFilter().get_ordering(request, None, view)
