#include <vips/vips.h>

// libvips takes its options as C varargs, which Swift cannot call: one plain function per use.

static inline int wg_vips_start(void) { return vips_init("wangge"); }

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
