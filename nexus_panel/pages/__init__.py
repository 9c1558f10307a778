"""The web app's pages: thin page modules, the registry, the share-link codec and the site
shell (template, navigation, URL sync). See nexus_panel.pages.site for the URL layout."""
