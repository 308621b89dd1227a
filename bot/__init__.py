"""The Rasa project (config, domain, rules, stories) and its custom NLU component."""
