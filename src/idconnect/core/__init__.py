"""The core: model, filter language, hook specs, plugin manager, facade, config, errors."""
