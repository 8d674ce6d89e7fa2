def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: the brief fuzzing run (deselect with -m 'not fuzz')")
