// stepformer entry point (placeholder).
int main(void)
{
    return 0;
}
