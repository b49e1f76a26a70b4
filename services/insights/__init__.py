"""Insights: faust-streaming processors that turn the event topics into read models."""
