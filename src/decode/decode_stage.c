/* decode_stage.c -- stage marker. */
int wd_decode_stage_marker;
