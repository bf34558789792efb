/* output_stage.c -- stage marker. */
int wd_output_stage_marker;
