"""What every layer above the domain uses: settings, keys, the payload codec and the Temporal
client. Nothing here imports the store, workflows, activities, the API or the command line."""
