"""policyaudit: audit policy documents against standards from national guidance."""

__version__ = "0.1.0"
