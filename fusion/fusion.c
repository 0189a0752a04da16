/* Placeholder translation unit so avs_fusion exists before its first model;
 * removed when fusion/ has models. */
typedef int avs_fusion_placeholder;
