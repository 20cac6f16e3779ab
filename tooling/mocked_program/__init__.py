"""The Pulumi program run in-process under mocks: what it registers and exports, per stack (no CLI needed)."""
