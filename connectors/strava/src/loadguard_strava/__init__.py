"""loadguard connector for Strava."""
