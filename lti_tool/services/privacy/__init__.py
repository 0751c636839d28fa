"""The privacy boundary: the only way to sensitive data (`lti_tool/models/private/`).

Every read or change of sensitive data goes through a function of this package, which records
who, whose, what and why in the access log, in the same transaction (`core.log`). One module per
kind of sensitive data; `core` holds demographics, what a participant sees and downloads of
herself, erasure and retention.
"""

from lti_tool.services.privacy.core import (
    WORK_KINDS,
    DemographicsView,
    access_log,
    delete_my_work,
    demographics_values,
    erase_person,
    export,
    my_demographics,
    purge_expired,
    record_demographics,
    reencrypt,
    withdraw_demographics,
)

__all__ = [
    "WORK_KINDS",
    "DemographicsView",
    "access_log",
    "delete_my_work",
    "demographics_values",
    "erase_person",
    "export",
    "my_demographics",
    "purge_expired",
    "record_demographics",
    "reencrypt",
    "withdraw_demographics",
]
