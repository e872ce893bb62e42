"""Use cases: who is calling → may they (models.permissions) → one transaction → events → wake realtime."""
