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
