"""The platform package has no models; this module exists so post_migrate reaches its app config."""
