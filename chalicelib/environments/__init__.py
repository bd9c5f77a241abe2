"""Where runs execute: placement (Auto, Cloud Sandbox, runner pools), runner
claims, leases, and the cloud sandbox."""
