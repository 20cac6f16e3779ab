"""The plugin folder `pulumi package add` installs and starts, and (provider/) the provider it runs."""
