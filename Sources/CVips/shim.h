#include <vips/vips.h>

// libvips takes its options as C varargs, which Swift cannot call: one plain function per use.

// One thread per operation (the server runs several requests at once) and no operation cache
// (every photo is new: a cache would only hold memory).
static inline int wg_vips_start(void) {
    if (vips_init("wangge") != 0) return -1;
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    return 0;
}

/// The loader libvips would read these bytes with ("VipsForeignLoadJpegBuffer", …), or NULL.
static inline const char *wg_loader(const void *bytes, size_t length) { return vips_foreign_find_load_buffer(bytes, length); }

/// The image's size from its header (nothing decoded yet).
static inline int wg_image_size(const void *bytes, size_t length, int *width, int *height) {
    VipsImage *image = vips_image_new_from_buffer(bytes, length, "", NULL);
    if (image == NULL) return -1;
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    g_object_unref(image);
    return 0;
}

/// The same for a JPEG, faster: decoded at 1/2, 1/4 or 1/8 by libjpeg where that still leaves
/// `max` pixels (most of a phone photo's cost is its decoding), turned upright, converted to sRGB
/// (a CMYK or grey scan), then reduced with a linear kernel (a factor above 1/2: no aliasing to
/// speak of), and saved as the general path saves.
static inline int wg_jpeg_photo(const void *bytes, size_t length, int max, int quality,
                                void **jpeg, size_t *jpeg_length, int *width, int *height) {
    int w = 0, h = 0;
    {
        VipsImage *header = vips_image_new_from_buffer(bytes, length, "", NULL);
        if (header == NULL) return -1;
        w = vips_image_get_width(header);
        h = vips_image_get_height(header);
        g_object_unref(header);
    }
    int side = w > h ? w : h, shrink = 1;
    while (shrink < 8 && side / (shrink * 2) >= max) shrink *= 2;
    VipsImage *image = NULL, *next = NULL;
    if (vips_jpegload_buffer((void *)bytes, length, &image, "shrink", shrink, NULL) != 0) return -1;
    if (vips_autorot(image, &next, NULL) != 0) { g_object_unref(image); return -1; }
    g_object_unref(image); image = next;
    VipsInterpretation i = vips_image_get_interpretation(image);
    if (i != VIPS_INTERPRETATION_sRGB && i != VIPS_INTERPRETATION_B_W) {
        if (vips_colourspace(image, &next, VIPS_INTERPRETATION_sRGB, NULL) != 0) { g_object_unref(image); return -1; }
        g_object_unref(image); image = next;
    }
    int now = vips_image_get_width(image) > vips_image_get_height(image) ? vips_image_get_width(image) : vips_image_get_height(image);
    if (now > max) {
        if (vips_resize(image, &next, (double)max / now, "kernel", VIPS_KERNEL_LINEAR, NULL) != 0) { g_object_unref(image); return -1; }
        g_object_unref(image); image = next;
    }
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    int r = vips_jpegsave_buffer(image, jpeg, jpeg_length, "Q", quality, "strip", TRUE, NULL);
    g_object_unref(image);
    return r;
}

/// A photo made fit in max × max (never enlarged), turned upright by its EXIF orientation, any
/// transparency on white, saved as a new JPEG without metadata (EXIF, GPS, XMP, ICC: `strip`).
static inline int wg_photo_jpeg(const void *bytes, size_t length, int max, int quality,
                                void **jpeg, size_t *jpeg_length, int *width, int *height) {
    VipsImage *image = NULL;
    if (vips_thumbnail_buffer((void *)bytes, length, &image, max, "height", max, "size", VIPS_SIZE_DOWN, NULL) != 0) return -1;
    if (vips_image_hasalpha(image)) {
        VipsImage *flat = NULL;
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        int r = vips_flatten(image, &flat, "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        g_object_unref(image);
        if (r != 0) return -1;
        image = flat;
    }
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    int r = vips_jpegsave_buffer(image, jpeg, jpeg_length, "Q", quality, "strip", TRUE, NULL);
    g_object_unref(image);
    return r;
}

/// Rasterises an SVG at `scale` (1: its own pixel size) to PNG bytes (freed with g_free).
static inline int wg_svg_to_png(const void *svg, size_t length, double scale, void **png, size_t *png_length) {
    VipsImage *image = NULL;
    if (vips_svgload_buffer((void *)svg, length, &image, "scale", scale, NULL) != 0) return -1;
    int r = vips_pngsave_buffer(image, png, png_length, "compression", 6, NULL);
    g_object_unref(image);
    return r;
}

static inline const char *wg_vips_error(void) { return vips_error_buffer(); }
static inline void wg_vips_error_clear(void) { vips_error_clear(); }
static inline void wg_free(void *p) { g_free(p); }
