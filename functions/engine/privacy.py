"""Privacy-law and lifecycle topics every store gets, whatever automations it enables."""
