"""The peer of the photo intake's image work: Pillow (libjpeg-turbo) doing what the server does
to a resident's photo — decode (with JPEG draft mode, Pillow's shrink-on-load), turn upright by
EXIF, fit in 1600 px, save a JPEG without metadata — on one core. Usage: photo_peer.py PHOTO N"""
import io, sys, time
from PIL import Image, ImageOps

data, n = open(sys.argv[1], "rb").read(), int(sys.argv[2])
t0 = time.perf_counter()
for _ in range(n):
    im = Image.open(io.BytesIO(data))
    im.draft("RGB", (1600, 1600))
    im = ImageOps.exif_transpose(im)
    im.thumbnail((1600, 1600))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=82)
dt = time.perf_counter() - t0
print(f"  {'Pillow, the same work (one core)':<46} {n / dt:6.1f} photos/s")
