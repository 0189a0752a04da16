/* A 5x7 bitmap font for printable ASCII (drawn for AVS), used for text labels
 * on frames. Each glyph is 7 rows; bit 4 of a row is its leftmost pixel.
 * Characters are laid out in 6x9 cells (one column and two rows of spacing). */
#ifndef AVS_VIDEO_FONT_H
#define AVS_VIDEO_FONT_H

#include <stdint.h>

#define AVS_FONT_W 5
#define AVS_FONT_H 7
#define AVS_FONT_CELL_W 6
#define AVS_FONT_CELL_H 9

/* The 7 rows of character c; anything outside ' '..'~' gets a hollow box. */
const uint8_t *avs_font_glyph(int c);

#endif
