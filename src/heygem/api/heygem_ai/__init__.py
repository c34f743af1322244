"""A drop-in backend for the HeyGem.ai (Duix.Avatar) desktop client: `heygem serve --heygem-ai`.

The client talks to three fixed local services and shares files with them through its data folder
(HEYGEM_AI_DATA, default ~/duix_avatar_data). We answer on its ports with our own engine:

* client.py: the client's ports and folders, and where it looks for a finished video;
* video.py: its video service (POST /easy/submit, GET /easy/query; port 8383), jobs go through our queue;
* tts.py: its voice service (POST /v1/invoke, POST /v1/preprocess_and_tran; port 18180), offline voices;
* transcript.py: English speech -> text for reference audio (pocketsphinx);
* servers.py: the three HTTP servers in one process.
"""

from .client import DesktopClient

__all__ = ["DesktopClient"]
