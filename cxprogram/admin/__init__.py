"""Administration: organization settings, departments and services."""
