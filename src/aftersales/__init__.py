"""aftersales: self-hosted after-sales intelligence for returns and exchanges."""

__version__ = "0.1.0"
