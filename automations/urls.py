app_name = "automations"

urlpatterns: list = []
