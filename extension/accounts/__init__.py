"""Who and what is connected: installs and uninstalls, the company's QuickBooks connection,
token refresh under the lock, users' details and permissions (design.md §3)."""
