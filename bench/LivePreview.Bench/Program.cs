Console.WriteLine("LivePreview benchmarks: not yet written.");
