T = {
    "Message from the seeker": "Message du demandeur",
    "Message from %(name)s": "Message de %(name)s",
    "Webcam interview: %(status)s": "Entretien par webcam : %(status)s",
    "Equipment check: %(verdict)s": "Test d'équipement : %(verdict)s",
    "E-workshop step done: %(lesson)s": "Étape d'e-atelier faite : %(lesson)s",
    "Live session: %(status)s": "Session en direct : %(status)s",
    "Nothing yet.": "Rien pour l'instant.",
}
