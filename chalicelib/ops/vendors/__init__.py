"""The monitoring tools an integration can be: one module per vendor, each a
small class with a `type`, registered here (and nowhere else)."""
from chalicelib.errors import Invalid
from chalicelib.ops.vendors.alertmanager import Alertmanager
from chalicelib.ops.vendors.cloudwatch import CloudWatch
from chalicelib.ops.vendors.github import GitHub
from chalicelib.ops.vendors.grafana import Grafana
from chalicelib.ops.vendors.pagerduty import PagerDuty

VENDORS = {vendor.type: vendor for vendor in (Alertmanager(), Grafana(), PagerDuty(), CloudWatch(), GitHub())}


def vendor(type_name: str):
    """The vendor of a type name; Invalid naming the known ones."""
    try:
        return VENDORS[type_name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(VENDORS))
        raise Invalid(f"type must be one of {known}; got {type_name!r}", field="type") from None
