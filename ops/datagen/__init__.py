"""Hospital-scale synthetic data for benchmarks and demos (`manage.py generate_data`)."""
