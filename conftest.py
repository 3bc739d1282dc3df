"""Settings for every test directory (pytest.ini's testpaths).

Hypothesis judges tests by wall-clock time (a 200 ms deadline per example, a health check on slow
input generation). On a shared 2-core machine under load, that fails tests for the machine's speed,
not their property, so neither applies here; the properties are checked as before.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("legato", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("legato")
