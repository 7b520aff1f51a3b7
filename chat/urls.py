from django.urls import path

from . import views

app_name = "chat"

urlpatterns = [
    path("", views.seeker_conversation, name="seeker_conversation"),
    path("boite/", views.inbox, name="inbox"),
    path("demandeur/<int:seeker_id>/", views.open_for_seeker, name="open_for_seeker"),
    path("ecrire/", views.write_to, name="write_to"),
    path("<int:conversation_id>/", views.conversation, name="conversation"),
    path("<int:conversation_id>/fichier/", views.upload, name="upload"),
    path("<int:conversation_id>/fichier/<int:message_id>/", views.attachment, name="attachment"),
]
