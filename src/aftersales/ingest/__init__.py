"""Reading, mapping and validating after-sales files; importers for public data sets."""
