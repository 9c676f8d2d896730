print("og-host")
