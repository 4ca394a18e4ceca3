"""Infrastructure shared by every domain package: never domain rules."""
